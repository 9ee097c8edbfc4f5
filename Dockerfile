# burnbook's image, as deploy/kubernetes/deployment.yaml runs it: `serve` by default, any command as
# arguments (docker run IMAGE validate /etc/burnbook/slos). promtool is not included: generate and
# validate then write without the promtool check (say so), which CI runs instead.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin bin
COPY src src
COPY runbooks runbooks
COPY slos slos
COPY tsconfig.json ./
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/burnbook.js"]
CMD ["serve", "slos/", "--host", "0.0.0.0", "--data-dir", "/tmp/burnbook"]

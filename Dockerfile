# The gateway image: the same `npm start` as on a workstation, against the Redis named by REDIS_URL.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY config ./config
COPY templates ./templates
USER node
EXPOSE 8080
CMD ["npm", "start"]
